import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Eta } from 'eta';

const viewsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'views');

/**
 * Server-rendered pages: Eta templates in src/web/views with auto-escaping on (all user
 * text is HTML-escaped), a shared layout, and template caching outside development.
 */
export class Renderer {
  private readonly eta: Eta;

  constructor(options: { cache: boolean }) {
    this.eta = new Eta({ views: viewsDir, cache: options.cache, autoEscape: true, autoTrim: false });
  }

  render(template: string, data: Record<string, unknown>): string {
    return this.eta.render(template, data);
  }
}
