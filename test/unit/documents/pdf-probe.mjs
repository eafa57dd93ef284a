/**
 * Reads a PDF from stdin with MuPDF (the `mupdf` package, WebAssembly) and prints JSON: the page
 * count, each page's text, and how many pixels of page 1 (rendered at 72 dpi) are within a small
 * distance of each colour given as an argument (#RRGGBB). `--png PATH` also writes page 1 as PNG.
 *
 * A separate process because mupdf is an ES module with top-level await, which Jest's CommonJS
 * module loader cannot import.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import * as mupdf from 'mupdf';

const { values, positionals } = parseArgs({ options: { png: { type: 'string' } }, allowPositionals: true });
const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const doc = mupdf.Document.openDocument(Buffer.concat(chunks), 'application/pdf');
const pages = doc.countPages();
const text = [];
for (let i = 0; i < pages; i++) text.push(doc.loadPage(i).toStructuredText().asText());

const pixmap = doc.loadPage(0).toPixmap(mupdf.Matrix.identity, mupdf.ColorSpace.DeviceRGB, false, true);
if (values.png) writeFileSync(values.png, pixmap.asPNG());
const samples = pixmap.getPixels();
const n = pixmap.getNumberOfComponents();
const colorPixels = {};
for (const hex of positionals) {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  let count = 0;
  for (let i = 0; i < samples.length; i += n) {
    if (Math.abs(samples[i] - r) <= 6 && Math.abs(samples[i + 1] - g) <= 6 && Math.abs(samples[i + 2] - b) <= 6) count++;
  }
  colorPixels[hex] = count;
}
process.stdout.write(JSON.stringify({ pages, text, width: pixmap.getWidth(), height: pixmap.getHeight(), colorPixels }));
