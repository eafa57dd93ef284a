import { Migration20261122000000_initial } from './Migration20261122000000_initial';

/** Every migration, in order. Listed explicitly so the compiled build and tsx runs find the same set. */
export const migrationsList = [
  { name: 'Migration20261122000000_initial', class: Migration20261122000000_initial },
];
