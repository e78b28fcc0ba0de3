const zoneCache = new Map<string, boolean>();

/**
 * True for an IANA time-zone name the runtime's tz database knows (`Europe/Paris`, `UTC`).
 * Fixed offsets such as `+02:00` are refused: a patient's local day needs the zone's DST rules.
 */
export function isValidTimeZone(name: string): boolean {
  const cached = zoneCache.get(name);
  if (cached !== undefined) return cached;
  let valid = false;
  if (/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(name) && name.length <= 64) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: name });
      valid = true;
    } catch {
      valid = false;
    }
  }
  zoneCache.set(name, valid);
  return valid;
}
