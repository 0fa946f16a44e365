// Options page entry.
import { render } from 'preact';
import { Options } from './options.tsx';

const root = document.getElementById('app');
if (!root) throw new Error('options.html has no #app element');
render(<Options />, root);
