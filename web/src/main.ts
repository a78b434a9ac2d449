// Entry point: styles, the app, and the service worker that makes the app
// installable and lets its shell start offline.

import { mount } from 'svelte';
import './app.css';
import App from './App.svelte';
import { session } from './lib/session.svelte';

const target = document.getElementById('app');
if (target) {
  mount(App, { target });
  session.start();
}

if ('serviceWorker' in navigator && import.meta.env.PROD) {
  window.addEventListener('load', () => {
    navigator.serviceWorker.register('/sw.js').catch(() => {
      // Without a service worker the app works; it is only not installable.
    });
  });
}
