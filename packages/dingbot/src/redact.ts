/**
 * Masks secrets in URLs and text: access tokens, signatures, sessions and tickets never reach logs or errors.
 * @module
 */

const SECRET_QUERY_KEYS = [
  "access_token",
  "sign",
  "session",
  "ticket",
  "appsecret",
  "clientSecret",
  "appSecret",
  // A media downloadUrl is a signed object-storage URL (Alibaba Cloud OSS, V1 and V4 signatures).
  "Signature",
  "OSSAccessKeyId",
  "security-token",
  "x-oss-signature",
  "x-oss-credential",
  "x-oss-security-token",
];
const MASK = "***";

/**
 * Returns the URL with every secret query value replaced by `***`. Non-URLs are passed to {@link redactText}.
 * @param url - a URL that may carry secrets
 */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    for (const key of SECRET_QUERY_KEYS) {
      if (parsed.searchParams.has(key)) parsed.searchParams.set(key, MASK);
    }
    return parsed.toString().replaceAll(encodeURIComponent(MASK), MASK);
  } catch {
    return redactText(url);
  }
}

/**
 * Masks `key=value` secrets inside free text and, when given, the literal secrets themselves.
 * @param text - any text (an error message, a log line, a response snippet)
 * @param secrets - literal values to mask wherever they appear (tokens, app secrets)
 */
export function redactText(text: string, secrets: readonly (string | undefined)[] = []): string {
  let out = text.replace(
    new RegExp(`([?&](?:${SECRET_QUERY_KEYS.join("|")})=)[^&\\s"']+`, "gi"),
    (_match, prefix: string) => `${prefix}${MASK}`,
  );
  for (const secret of secrets) {
    // Short values would mask ordinary words; real tokens and secrets are long.
    if (secret && secret.length >= 6) out = out.split(secret).join(MASK);
  }
  return out;
}
