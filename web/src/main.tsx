import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { loadPublicConfig } from './format';
import './styles.css';

// The shop's name, currency, time zone and locale shape every screen: read first.
await loadPublicConfig();
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
