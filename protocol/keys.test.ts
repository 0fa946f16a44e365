import assert from 'node:assert/strict';
import { it } from 'node:test';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { isAcceptableEd25519PublicKey, isAcceptableX25519PublicKey, verifyEd25519Strict } from './keys.ts';

it('[KEY2] rejects every low-order X25519 point and accepts real keys', () => {
  const bad = [
    '0000000000000000000000000000000000000000000000000000000000000000',
    '0100000000000000000000000000000000000000000000000000000000000000',
    'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
    'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
    'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b880', // same point, top bit set
  ];
  for (const h of bad) assert.equal(isAcceptableX25519PublicKey(Buffer.from(h, 'hex')), false, h);
  assert.equal(isAcceptableX25519PublicKey(new Uint8Array(31)), false);
  for (let i = 0; i < 20; i++) assert.equal(isAcceptableX25519PublicKey(x25519.getPublicKey(x25519.utils.randomSecretKey())), true);
});

it('[KEY1] rejects small-order and non-canonical Ed25519 keys', () => {
  const identity = new Uint8Array(32);
  identity[0] = 1;
  assert.equal(isAcceptableEd25519PublicKey(identity), false);
  // y = p (non-canonical encoding of y = 0)
  const nonCanonical = Buffer.from('edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', 'hex');
  assert.equal(isAcceptableEd25519PublicKey(nonCanonical), false);
  assert.equal(isAcceptableEd25519PublicKey(ed25519.getPublicKey(ed25519.utils.randomSecretKey())), true);
});

it('[KEY3] verifies RFC 8032 §7.1 test 1 and refuses a flipped bit', () => {
  const pub = Buffer.from('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', 'hex');
  const sig = Buffer.from(
    'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
    'hex',
  );
  assert.equal(verifyEd25519Strict(sig, new Uint8Array(0), pub), true);
  sig[5]! ^= 1;
  assert.equal(verifyEd25519Strict(sig, new Uint8Array(0), pub), false);
  assert.equal(verifyEd25519Strict(new Uint8Array(63), new Uint8Array(0), pub), false);
});
