// The one migration history of the platform, oldest first. Generate a new one with
// `npm run db:migration:generate -- <Name>`, review it, and add it here.
export const MIGRATIONS: Function[] = [];
