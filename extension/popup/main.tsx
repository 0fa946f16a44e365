// Popup entry.
import { render } from 'preact';
import { Popup } from './popup.tsx';

const root = document.getElementById('app');
if (!root) throw new Error('popup.html has no #app element');
render(<Popup />, root);
