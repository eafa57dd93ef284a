/** What several resources' routes share that is no resource of its own: metadata updates. */
import { invalidParam } from '../errors';

/** `metadata` merged as Stripe does: given keys replace, an empty string removes the key. */
export function mergeMetadata(current: Record<string, string>, changes: Record<string, string>): Record<string, string> {
  const merged = { ...current };
  for (const [key, value] of Object.entries(changes)) {
    if (value === '') delete merged[key];
    else merged[key] = value;
  }
  if (Object.keys(merged).length > 50) throw invalidParam('metadata', 'metadata can hold at most 50 keys.');
  return merged;
}
