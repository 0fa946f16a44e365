// What the client core asks of the relay, as a small port. `RelaySession` (core/sync) implements it over a
// real connection; the malicious-relay simulator implements it to lie in every way a relay can.
import type { BlobTicket } from '../../protocol/messages/blob-ticket.ts';
import type { Bundle } from '../../protocol/messages/bundle.ts';
import type { Directory } from '../../protocol/messages/directory.ts';
import type { OneTimePrekey, SignedPrekey } from '../../protocol/messages/prekeys-put.ts';
import type { Sent } from '../../protocol/messages/sent.ts';
import type { DeviceList } from '../../protocol/device-list.ts';

export interface RelayApi {
  lookup(query: { username: string } | { account: string }): Promise<Directory>;
  getBundle(device: string): Promise<Bundle>;
  putPrekeys(spk: SignedPrekey | undefined, opks: OneTimePrekey[]): Promise<void>;
  putDeviceList(list: DeviceList): Promise<void>;
  send(id: string, to: readonly { d: string; c: string }[]): Promise<Sent>;
  blobUpload(size: number): Promise<BlobTicket>;
  blobDownload(id: string): Promise<BlobTicket>;
}
