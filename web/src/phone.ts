// Bolivian mobile numbers as cashiers type them: "+591 71234567",
// "712-34-567", "71234567". The console sends the 8 digits; the API takes
// 6–15 digits, so a shop with other numbers can still use the API directly.
import type { Operadora } from './components';

export interface PhoneCheck {
  /** The 8 digits to send, when valid. */
  numero?: string;
  error?: string;
}

export function normalizePhone(text: string): PhoneCheck {
  let digits = text.replace(/[\s\-.()]/g, '');
  if (digits.startsWith('+591')) digits = digits.slice(4);
  else if (digits.startsWith('00591')) digits = digits.slice(5);
  else if (digits.length === 11 && digits.startsWith('591')) digits = digits.slice(3);
  if (digits === '') return { error: 'Ingrese el número de teléfono.' };
  if (!/^\d+$/.test(digits)) return { error: 'El número solo lleva dígitos.' };
  if (!/^[67]\d{7}$/.test(digits)) return { error: 'Un celular de Bolivia tiene 8 dígitos y empieza con 6 o 7.' };
  return { numero: digits };
}

// Which operator a number most likely belongs to, by its first digits. Only
// a guess (numbers move between operators): the cashier can change it.
const PREFIXES: Array<[RegExp, Operadora]> = [
  [/^(6[0-9]|7[123])/, 'Entel'],
  [/^7[56789]/, 'Tigo'],
  [/^7[04]/, 'Viva'],
];

export function guessOperator(numero: string): Operadora | undefined {
  return PREFIXES.find(([re]) => re.test(numero))?.[1];
}

/** "71234567" → "712 345 67", easier to read back to a customer. */
export const showPhone = (numero: string) => (/^\d{8}$/.test(numero) ? `${numero.slice(0, 3)} ${numero.slice(3, 6)} ${numero.slice(6)}` : numero);
