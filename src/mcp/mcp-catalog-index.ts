import { UriTemplate } from '@modelcontextprotocol/sdk/shared/uriTemplate.js';
import type { Prompt, Resource, ResourceTemplate, Tool } from '@modelcontextprotocol/sdk/types.js';
import { aggregatedName } from './mcp-tool-names.js';
import { upstreamExposesTool } from './mcp-tool-access.js';
import type { McpUpstream } from './mcp-upstream.js';

/**
 * The aggregated catalog of every connected upstream: tools and prompts under their aggregated
 * names (`<upstream>__<name>`, or the upstream's own for `namespace: false`), resources by URI,
 * resource templates in upstream order. Rebuilt whenever an upstream's lists change. On a name
 * clash the upstream that comes first (by name) wins.
 *
 * @see https://modelcontextprotocol.io/specification/2025-11-25/server/tools#listing-tools
 * @see https://modelcontextprotocol.io/specification/2025-11-25/server/resources
 * @see https://modelcontextprotocol.io/specification/2025-11-25/server/prompts
 */

export interface AggregatedTool {
  /** The name callers see. */
  name: string;
  upstream: McpUpstream;
  /** The upstream's tool, under its own name. */
  tool: Tool;
}

export interface AggregatedPrompt {
  name: string;
  upstream: McpUpstream;
  prompt: Prompt;
}

export interface AggregatedResource {
  upstream: McpUpstream;
  resource: Resource;
}

export interface AggregatedResourceTemplate {
  upstream: McpUpstream;
  template: ResourceTemplate;
  matcher: UriTemplate | undefined;
}

export class McpCatalogIndex {
  readonly tools = new Map<string, AggregatedTool>();
  readonly prompts = new Map<string, AggregatedPrompt>();
  readonly resources = new Map<string, AggregatedResource>();
  readonly resourceTemplates: AggregatedResourceTemplate[] = [];
  /** Names that clashed and were left out, for diagnostics. */
  readonly clashes: string[] = [];

  /** Indexes the catalogs of `upstreams` (in the given order). */
  static build(upstreams: readonly McpUpstream[], maxNameLength: number): McpCatalogIndex {
    const index = new McpCatalogIndex();
    for (const upstream of upstreams) {
      const { tools, prompts, resources, resourceTemplates } = upstream.catalog;
      const namespaced = upstream.settings.namespace;
      for (const tool of tools) {
        if (!upstreamExposesTool(upstream.settings, tool.name)) continue;
        const name = aggregatedName(upstream.id, tool.name, namespaced, maxNameLength);
        if (index.tools.has(name)) index.clashes.push(`tool ${name} (${upstream.id})`);
        else index.tools.set(name, { name, upstream, tool });
      }
      for (const prompt of prompts) {
        const name = aggregatedName(upstream.id, prompt.name, namespaced, maxNameLength);
        if (index.prompts.has(name)) index.clashes.push(`prompt ${name} (${upstream.id})`);
        else index.prompts.set(name, { name, upstream, prompt });
      }
      for (const resource of resources) {
        if (index.resources.has(resource.uri)) index.clashes.push(`resource ${resource.uri} (${upstream.id})`);
        else index.resources.set(resource.uri, { upstream, resource });
      }
      for (const template of resourceTemplates) {
        let matcher: UriTemplate | undefined;
        try {
          matcher = new UriTemplate(template.uriTemplate);
        } catch {
          matcher = undefined;
        }
        index.resourceTemplates.push({ upstream, template, matcher });
      }
    }
    return index;
  }

  /**
   * The upstream serving a resource URI: a listed resource first, then the first template that
   * matches, then — when exactly one upstream serves resources — that one.
   */
  upstreamForResource(uri: string, candidates: readonly McpUpstream[]): McpUpstream | undefined {
    const listed = this.resources.get(uri);
    if (listed !== undefined) return listed.upstream;
    for (const { upstream, matcher } of this.resourceTemplates) {
      if (matcher?.match(uri) !== null && matcher !== undefined) return upstream;
    }
    const serving = candidates.filter((upstream) => upstream.state === 'connected' && upstream.catalog.resources.length + upstream.catalog.resourceTemplates.length > 0);
    return serving.length === 1 ? serving[0] : undefined;
  }

  /** The upstream of a resource template given by its URI template text. */
  upstreamForTemplate(uriTemplate: string): McpUpstream | undefined {
    return this.resourceTemplates.find((entry) => entry.template.uriTemplate === uriTemplate)?.upstream;
  }
}
