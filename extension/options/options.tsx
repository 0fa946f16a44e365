// The settings page: where the relay is. Saving stores the address; the status card below re-checks it
// (through the background, like the popup) so the user sees at once whether the new address works.
import { useEffect, useState } from 'preact/hooks';
import { PROTOCOL_VERSION } from '../../protocol/version.ts';
import { StatusCard } from '../../pwa/app/components/status-card.tsx';
import { getRelayUrl, parseRelayUrl, setRelayUrl } from '../settings.ts';
import { useRelayStatus } from '../use-relay-status.ts';

export function Options() {
  const [value, setValue] = useState('');
  const [message, setMessage] = useState<{ kind: 'error' | 'saved'; text: string } | undefined>();
  const status = useRelayStatus();

  useEffect(() => {
    void getRelayUrl().then(setValue);
  }, []);

  const save = async (ev: Event) => {
    ev.preventDefault();
    const parsed = parseRelayUrl(value);
    if (!parsed.ok) {
      setMessage({ kind: 'error', text: parsed.error });
      return;
    }
    await setRelayUrl(parsed.url);
    setValue(parsed.url);
    setMessage({ kind: 'saved', text: 'Saved.' });
  };

  return (
    <div class="shell">
      <header class="topbar">
        <img class="logo" src="icons/icon-32.png" width={32} height={32} alt="" />
        <h1>Tandem settings</h1>
      </header>
      <main class="content">
        <form class="card" onSubmit={(ev) => void save(ev)}>
          <label class="field" for="relay-url">
            Relay address
          </label>
          <p class="hint">
            The server your devices use to pass encrypted messages, e.g. <code>https://relay.example.org</code>
          </p>
          <div class="row">
            <input
              id="relay-url"
              name="relay-url"
              type="url"
              inputMode="url"
              autoComplete="url"
              spellcheck={false}
              required
              value={value}
              onInput={(ev) => setValue(ev.currentTarget.value)}
            />
            <button type="submit" class="button">
              Save
            </button>
          </div>
          {message && (
            <p class={`form-message ${message.kind}`} role={message.kind === 'error' ? 'alert' : 'status'} data-field="form-message">
              {message.text}
            </p>
          )}
        </form>
        <StatusCard
          address={status.address}
          state={status.state}
          health={status.health}
          detail={status.detail}
          appProtocol={PROTOCOL_VERSION}
          onRetry={status.retry}
        />
      </main>
    </div>
  );
}
