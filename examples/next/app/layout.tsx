import type { ReactNode } from 'react';

const STYLE = `body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1d2733;background:#f5f7fa}
header{background:#0b4f6c;color:#fff;padding:.8rem 1.5rem;display:flex;justify-content:space-between;align-items:center}
header a{color:#cfe8f3}.banner{background:#fff;border-bottom:1px solid #dde3ea;padding:1rem 1.5rem}
.banner h1{margin:0;font-size:1.4rem}main{padding:1.5rem;max-width:60rem}
table{border-collapse:collapse;width:100%;background:#fff}td,th{text-align:left;padding:.4rem .8rem;border-bottom:1px solid #e6eaef}
.muted{color:#65727e}.card{background:#fff;padding:1.5rem;border-radius:6px;max-width:32rem;margin:3rem auto}`;

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <head>
        <style>{STYLE}</style>
      </head>
      <body>{children}</body>
    </html>
  );
}
