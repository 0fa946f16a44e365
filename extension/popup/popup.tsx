// The toolbar popup: the relay status card (the PWA's component) and a way into the settings.
import browser from 'webextension-polyfill';
import { PROTOCOL_VERSION } from '../../protocol/version.ts';
import { StatusCard } from '../../pwa/app/components/status-card.tsx';
import { useRelayStatus } from '../use-relay-status.ts';

export function Popup() {
  const status = useRelayStatus();
  return (
    <div class="popup">
      <header class="topbar">
        <img class="logo" src="icons/icon-32.png" width={24} height={24} alt="" />
        <h1>Tandem</h1>
      </header>
      <main class="popup-body">
        <StatusCard
          address={status.address}
          state={status.state}
          health={status.health}
          detail={status.detail}
          appProtocol={PROTOCOL_VERSION}
          onRetry={status.retry}
        />
        <button type="button" class="button secondary" onClick={() => void browser.runtime.openOptionsPage()}>
          Settings
        </button>
      </main>
    </div>
  );
}
