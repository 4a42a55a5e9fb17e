// Small helpers with no state: ids, storage that never throws, gzip where the browser has it.

/** A UUIDv4 from getRandomValues: crypto.randomUUID exists only on https pages. */
export function uuid(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  bytes[6] = (bytes[6]! & 15) | 64 // version 4
  bytes[8] = (bytes[8]! & 63) | 128 // RFC 4122 variant
  return [...bytes].map((byte, i) => (i == 4 || i == 6 || i == 8 || i == 10 ? '-' : '') + (byte + 256).toString(16).slice(1)).join('')
}

/** localStorage, or nothing: private modes and sandboxed iframes throw on access. */
export function load<T>(key: string): T | undefined {
  try {
    return JSON.parse(localStorage.getItem(key) ?? 'null') ?? undefined
  } catch {
    return undefined
  }
}

export function save(key: string, value: unknown): void {
  try {
    localStorage.setItem(key, JSON.stringify(value))
  } catch {
    // full or unavailable: the SDK keeps working from memory
  }
}

/** Gzip with CompressionStream where the browser has it, else the text as it is (capture sniffs which). */
export async function gzip(text: string): Promise<BodyInit> {
  try {
    return await new Response(new Blob([text]).stream().pipeThrough(new CompressionStream('gzip'))).blob()
  } catch {
    return text // no CompressionStream (Safari < 16.4, old Firefox)
  }
}
