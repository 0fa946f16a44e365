// PWA entry: render the shell into #app and register the service worker.
import './zod-jitless.ts';
import { render } from 'preact';
import { App } from './app.tsx';
import { registerServiceWorker } from './register-sw.ts';

const root = document.getElementById('app');
if (!root) throw new Error('index.html has no #app element');
render(<App />, root);
registerServiceWorker();
