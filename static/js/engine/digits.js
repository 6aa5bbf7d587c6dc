/**
 * Digits of any script as 0–9. A phone keyboard in Arabic or Persian types its own (٤, ۴), and
 * the server's checks take them as Python's \d and int() do (webapp/digits.py).
 */

/** The value of one Unicode decimal digit: they come in runs of ten, starting at zero. */
export function digitValue(ch) {
  let n = 0;
  while (/\p{Nd}/u.test(String.fromCodePoint(ch.codePointAt(0) - n - 1))) n++;
  return String(n % 10);
}

/** The text with every decimal digit, of whatever script, as its ASCII digit. */
export const asciiDigits = (text) => text.replace(/\p{Nd}/gu, digitValue);
