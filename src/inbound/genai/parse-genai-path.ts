/**
 * The request paths `/genai` answers, after the `/genai` prefix:
 *
 * - Vertex AI shape (Claude Code's Vertex mode, `@google/genai` with `vertexai: true`), with or
 *   without a version segment (Claude Code's `ANTHROPIC_VERTEX_BASE_URL` replaces the `/v1`):
 *   `[/v1|/v1beta1]/projects/{project}/locations/{location}/publishers/{publisher}/models/{model}:{method}`
 * - Vertex express shape: `[/v1…]/publishers/{publisher}/models/{model}:{method}`
 * - Gemini API shape (`@google/genai` with an API key): `[/v1beta|/v1]/models/{model}:{method}`
 *
 * `{model}` may contain `@` (`claude-sonnet-4-5@20250929`) and `/` (`openai/gpt-5`, a Heimdall
 * `provider/model` name); the method follows the last `:`.
 *
 * @see https://cloud.google.com/vertex-ai/generative-ai/docs/reference/rest/v1/projects.locations.publishers.models
 * @see https://ai.google.dev/api/generate-content
 */
export interface GenaiPath {
  /** `vertex` for `projects/…` and `publishers/…` paths, `gemini-api` for `models/…`. */
  shape: 'vertex' | 'gemini-api';
  project?: string;
  location?: string;
  /** `anthropic`, `google`, … (Vertex shapes); absent for the Gemini API shape. */
  publisher?: string;
  model: string;
  /** `rawPredict`, `streamRawPredict`, `generateContent`, `streamGenerateContent`, `countTokens`, … */
  method: string;
}

const VERSION_SEGMENT = /^v\d+(?:(?:alpha|beta)\d*)?$/;

/** Parses a path below `/genai` (e.g. `/v1beta/models/gemini-2.5-pro:generateContent`), or undefined. */
export function parseGenaiPath(pathBelowPrefix: string): GenaiPath | undefined {
  let segments = pathBelowPrefix.split('/').filter((segment) => segment !== '');
  try {
    segments = segments.map((segment) => decodeURIComponent(segment));
  } catch {
    return undefined;
  }
  if (segments.length > 0 && VERSION_SEGMENT.test(segments[0])) segments = segments.slice(1);

  let shape: GenaiPath['shape'] = 'gemini-api';
  let project: string | undefined;
  let location: string | undefined;
  let publisher: string | undefined;
  if (segments[0] === 'projects') {
    if (segments.length < 4 || segments[2] !== 'locations') return undefined;
    shape = 'vertex';
    project = segments[1];
    location = segments[3];
    segments = segments.slice(4);
  }
  if (segments[0] === 'publishers') {
    if (segments.length < 2) return undefined;
    shape = 'vertex';
    publisher = segments[1];
    segments = segments.slice(2);
  }
  if (segments[0] !== 'models' || segments.length < 2) return undefined;
  const modelAndMethod = segments.slice(1).join('/');
  const colon = modelAndMethod.lastIndexOf(':');
  if (colon <= 0 || colon === modelAndMethod.length - 1) return undefined;
  const path: GenaiPath = { shape, model: modelAndMethod.slice(0, colon), method: modelAndMethod.slice(colon + 1) };
  if (project !== undefined) path.project = project;
  if (location !== undefined) path.location = location;
  if (publisher !== undefined) path.publisher = publisher;
  return path;
}
