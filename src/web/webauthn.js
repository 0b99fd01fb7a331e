// webauthn.js: security keys in the browser.  The platform speaks base64url
// in JSON; navigator.credentials speaks ArrayBuffers.  Options from the API
// are decoded here (challenge, user.id, the credential ids), and a credential
// is encoded back as {id, rawId, type, response:{...}} with every binary as
// base64url (MFA10.md).
import { post } from './api.js';

/** Whether this browser can use security keys at all. */
export const supported = () => typeof window.PublicKeyCredential === 'function' && !!navigator.credentials;

/** base64url (padding optional) -> ArrayBuffer. */
export function fromB64u(s) {
  const b64 = String(s).replace(/-/g, '+').replace(/_/g, '/');
  const bin = atob(b64 + '==='.slice((b64.length + 3) % 4));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out.buffer;
}

/** ArrayBuffer or view -> base64url without padding. */
export function toB64u(buf) {
  const bytes = buf instanceof ArrayBuffer ? new Uint8Array(buf) : new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  let bin = '';
  for (let i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

const ids = (list) => (list || []).map((c) => ({ ...c, id: fromB64u(c.id) }));

/** The API's creation options -> what navigator.credentials.create takes. */
export function creationOptions(pk) {
  return { ...pk, challenge: fromB64u(pk.challenge), user: { ...pk.user, id: fromB64u(pk.user.id) },
    excludeCredentials: ids(pk.excludeCredentials) };
}

/** The API's request options -> what navigator.credentials.get takes. */
export function requestOptions(pk) {
  return { ...pk, challenge: fromB64u(pk.challenge), allowCredentials: ids(pk.allowCredentials) };
}

/** A PublicKeyCredential as the API wants it. */
export function credentialJSON(cred) {
  const r = cred.response;
  const response = { clientDataJSON: toB64u(r.clientDataJSON) };
  if (r.attestationObject) response.attestationObject = toB64u(r.attestationObject);
  if (r.authenticatorData) response.authenticatorData = toB64u(r.authenticatorData);
  if (r.signature) response.signature = toB64u(r.signature);
  if (r.userHandle) response.userHandle = toB64u(r.userHandle);
  return { id: cred.id, rawId: toB64u(cred.rawId), type: cred.type, response };
}

/**
 * The browser dialog failed or was dismissed: an ApiError-like value the
 * catalogue knows (error.webauthn_cancelled / error.webauthn_unsupported).
 */
function browserError(ex) {
  const code = !supported() ? 'webauthn_unsupported' : ex && ex.name === 'InvalidStateError' ? 'webauthn_known' : 'webauthn_cancelled';
  return Object.assign(new Error(ex && ex.message ? ex.message : code), { code, field: null });
}

/** Registers a new key: POST /me/mfa/webauthn/options, the browser dialog, POST /me/mfa/webauthn. */
export async function register(name) {
  if (!supported()) throw browserError();
  const { publicKey } = await post('/me/mfa/webauthn/options', { name });
  let cred;
  try { cred = await navigator.credentials.create({ publicKey: creationOptions(publicKey) }); } catch (ex) { throw browserError(ex); }
  if (!cred) throw browserError();
  return post('/me/mfa/webauthn', { name, credential: credentialJSON(cred) });
}

/** An assertion for the options at optionsPath (login step or step-up); returns the credential JSON. */
export async function assertion(optionsPath, body, opts) {
  if (!supported()) throw browserError();
  const { publicKey } = await post(optionsPath, body, opts);
  let cred;
  try { cred = await navigator.credentials.get({ publicKey: requestOptions(publicKey) }); } catch (ex) { throw browserError(ex); }
  if (!cred) throw browserError();
  return credentialJSON(cred);
}
