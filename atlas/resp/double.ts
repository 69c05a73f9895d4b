/**
 * Formats a double the way Redis 7.0 replies with it (`%.17g`, "inf" / "-inf"), so clients and
 * differential tests see the same text as from real Redis.
 */
export function formatDouble(value: number): string {
  if (value === Infinity) return "inf";
  if (value === -Infinity) return "-inf";
  if (Number.isNaN(value)) return "nan";
  if (value === 0) return Object.is(value, -0) ? "-0" : "0";
  if (Number.isInteger(value) && Math.abs(value) < 1e15) return String(value);
  // %g picks the style from the exponent X of the rounded e-form: fixed when -4 <= X < 17.
  const [mantissa, e] = value.toExponential(16).split("e");
  const exp = Number(e);
  if (exp < -4 || exp >= 17) {
    const abs = Math.abs(exp);
    return `${stripZeros(mantissa)}e${exp < 0 ? "-" : "+"}${abs < 10 ? "0" + abs : abs}`;
  }
  return stripZeros(value.toPrecision(17));
}

function stripZeros(text: string): string {
  if (!text.includes(".")) return text;
  return text.replace(/0+$/, "").replace(/\.$/, "");
}
