import type { JsonObject } from '../db/schema.ts';
import type { JobDefinition } from './types.ts';

/** Job definitions by kind. Each feature registers its kinds at start-up. */
export class JobRegistry {
  private readonly definitions = new Map<string, JobDefinition>();

  register<P extends JsonObject>(definition: JobDefinition<P>): this {
    if (this.definitions.has(definition.kind))
      throw new Error(`job kind ${definition.kind} registered twice`);
    this.definitions.set(definition.kind, definition as unknown as JobDefinition);
    return this;
  }

  get(kind: string): JobDefinition | undefined {
    return this.definitions.get(kind);
  }

  require(kind: string): JobDefinition {
    const definition = this.definitions.get(kind);
    if (!definition) throw new Error(`unknown job kind ${kind}`);
    return definition;
  }

  kinds(): string[] {
    return [...this.definitions.keys()];
  }
}
