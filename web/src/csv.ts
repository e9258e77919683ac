// Client-side CSV export of what the API returned, for a Spanish spreadsheet:
// ";" between cells (a comma is the decimal mark), UTF-8 with a BOM so the
// encoding is picked up, Spanish headers, local times and amounts with a
// decimal comma (format.ts csvAmount).

function cell(value: unknown): string {
  let s = value === null || value === undefined ? '' : String(value);
  // Spreadsheet formula injection: a text cell may not start a formula.
  if (/^[=@\t\r]/.test(s) || (/^[+-]/.test(s) && !/^[+-]?\d+([.,]\d+)?$/.test(s))) s = `'${s}`;
  return /[";\n\r]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(header: string[], rows: unknown[][]): string {
  return [header, ...rows].map((r) => r.map(cell).join(';')).join('\r\n') + '\r\n';
}

export function downloadCsv(filename: string, text: string) {
  const url = URL.createObjectURL(new Blob(['\ufeff', text], { type: 'text/csv;charset=utf-8' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
