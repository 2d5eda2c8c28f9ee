import { readFileSync } from 'node:fs'

// package.json is two levels up from both src/ and dist/src/.
export const VERSION: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version
