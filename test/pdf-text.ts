import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';

/**
 * Reads a PDF back for the report tests with pdfjs-dist (legacy build, Node 20): the text of each
 * page as lines (items on the same baseline joined by a space, top to bottom), the page sizes
 * and the info dictionary. The real parser reads the compressed file exactly as a viewer would,
 * so the tests check the product's bytes, not a test-only uncompressed variant.
 */
export interface PdfText {
  pages: string[][];
  sizes: Array<{ width: number; height: number }>;
  info: Record<string, unknown>;
}

export async function readPdf(bytes: Buffer): Promise<PdfText> {
  // pdfjs takes ownership of (and detaches) the array it is given: hand it a copy.
  const data = new Uint8Array(bytes);
  const pdf = await getDocument({ data, isEvalSupported: false, useSystemFonts: false }).promise;
  try {
    const pages: string[][] = [];
    const sizes: PdfText['sizes'] = [];
    for (let n = 1; n <= pdf.numPages; n += 1) {
      const page = await pdf.getPage(n);
      const [, , width, height] = page.view;
      sizes.push({ width: width ?? 0, height: height ?? 0 });
      const content = await page.getTextContent();
      const lines = new Map<number, Array<{ x: number; text: string }>>();
      for (const item of content.items) {
        if (!('str' in item) || item.str.trim() === '') continue;
        const y = Math.round(item.transform[5] as number);
        const line = lines.get(y) ?? [];
        line.push({ x: item.transform[4] as number, text: item.str });
        lines.set(y, line);
      }
      pages.push(
        [...lines.entries()]
          .sort((a, b) => b[0] - a[0])
          .map(([, items]) =>
            items
              .sort((a, b) => a.x - b.x)
              .map((i) => i.text)
              .join(' '),
          ),
      );
    }
    const metadata = await pdf.getMetadata();
    return { pages, sizes, info: metadata.info as Record<string, unknown> };
  } finally {
    await pdf.destroy();
  }
}
