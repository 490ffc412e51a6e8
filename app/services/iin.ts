/*
| The Kazakhstan IIN (ЖСН / ИИН): twelve digits, the last a check digit over the first eleven.
| The official algorithm weighs the digits 1..11 and takes the sum modulo 11; a remainder of 10
| means a second pass with the weights 3..11, 1, 2; a second 10 means the number is never
| issued. The check catches most mistyped digits and swapped neighbours (not all: the
| eleventh digit weighs 11 in the first pass, which is 0 modulo 11).
*/

const FIRST_WEIGHTS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]
const SECOND_WEIGHTS = [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2]

function weighted(digits: number[], weights: number[]) {
  return digits.reduce((sum, digit, index) => sum + digit * weights[index], 0) % 11
}

/** The check digit for the first eleven digits, or null when no IIN can start with them. */
export function iinCheckDigit(first11: string): number | null {
  if (!/^[0-9]{11}$/.test(first11)) return null
  const digits = [...first11].map(Number)
  const first = weighted(digits, FIRST_WEIGHTS)
  if (first !== 10) return first
  const second = weighted(digits, SECOND_WEIGHTS)
  return second === 10 ? null : second
}

/** Whether a text is an IIN: exactly twelve ASCII digits whose last one is the check digit. */
export function isValidIin(text: string): boolean {
  if (!/^[0-9]{12}$/.test(text)) return false
  return iinCheckDigit(text.slice(0, 11)) === Number(text[11])
}
