/** The company logo: a data URL checked to hold the image its content type claims, small enough to embed. */
import { type LogoContentType } from '../../db/entities';
import { canEmbedImage } from '../../services/documents/layout';
import { invalidParam } from '../errors';
import { MAX_LOGO_BYTES, MAX_LOGO_PIXELS } from './schemas';

export const SIGNATURES: Record<LogoContentType, number[]> = {
  'image/png': [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
  'image/jpeg': [0xff, 0xd8, 0xff],
};

/** The data URL's bytes, checked to be the image type it claims and one the PDF renderer can embed. */
export async function decodeLogo(dataUrl: string): Promise<{ data: Buffer; contentType: LogoContentType }> {
  const match = /^data:(image\/(?:png|jpeg));base64,(.+)$/.exec(dataUrl);
  if (!match) throw invalidParam('logo', 'logo must be a data URL of a PNG or JPEG image (data:image/png;base64,...).');
  const contentType = match[1] as LogoContentType;
  const data = Buffer.from(match[2]!, 'base64');
  if (data.length > MAX_LOGO_BYTES) throw invalidParam('logo', `logo is ${data.length} bytes; at most ${MAX_LOGO_BYTES} are allowed.`);
  const signature = SIGNATURES[contentType];
  if (data.length < signature.length || !signature.every((byte, i) => data[i] === byte)) {
    throw invalidParam('logo', `logo is not a ${contentType === 'image/png' ? 'PNG' : 'JPEG'} image (its bytes do not match the declared type).`);
  }
  // A small PNG can inflate to gigabytes of pixels; a logo never needs more than a few megapixels.
  if (contentType === 'image/png' && data.length >= 24 && data.readUInt32BE(16) * data.readUInt32BE(20) > MAX_LOGO_PIXELS) {
    throw invalidParam('logo', `logo is ${data.readUInt32BE(16)}×${data.readUInt32BE(20)} pixels; at most ${MAX_LOGO_PIXELS / 1_000_000} megapixels are allowed.`);
  }
  if (!(await canEmbedImage(data))) throw invalidParam('logo', 'logo could not be decoded as an image; export it again as a PNG or JPEG.');
  return { data, contentType };
}
