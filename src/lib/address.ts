/** A listen or dial address. `:PORT` means all interfaces, as the documented flags use it. */
export interface HostPort {
  hostname: string;
  port: number;
}

/** Parses `HOST:PORT`, `:PORT` or `[::1]:PORT`. Returns null when malformed. */
export function parseHostPort(text: string, allInterfaces = "0.0.0.0"): HostPort | null {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s[\]]*)):(\d{1,5})$/.exec(text.trim());
  if (!match) return null;
  const port = Number(match[3]);
  if (port > 65535) return null;
  const hostname = match[1] ?? (match[2] === "" ? allInterfaces : match[2]);
  return { hostname, port };
}

export function formatHostPort({ hostname, port }: HostPort): string {
  return hostname.includes(":") ? `[${hostname}]:${port}` : `${hostname}:${port}`;
}
