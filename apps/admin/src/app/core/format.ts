export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—';
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1) return '<1 ms';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

const rtf = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });

export function relative(value: string | number | Date | null | undefined, now = Date.now()): string {
  if (value === null || value === undefined) return 'never';
  const t = new Date(value).getTime();
  const s = Math.round((t - now) / 1000);
  const abs = Math.abs(s);
  if (abs < 45) return abs < 5 ? 'just now' : rtf.format(s, 'second');
  if (abs < 2700) return rtf.format(Math.round(s / 60), 'minute');
  if (abs < 64800) return rtf.format(Math.round(s / 3600), 'hour');
  return rtf.format(Math.round(s / 86400), 'day');
}

export function dateTime(value: string | number | Date | null | undefined): string {
  if (value === null || value === undefined) return '—';
  return new Date(value).toLocaleString('en', { dateStyle: 'medium', timeStyle: 'medium' });
}
