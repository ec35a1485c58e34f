/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** The HTTP API's base URL; when absent the page reads /endpoints.json. */
  readonly VITE_HTTP_API_URL?: string;
  /** The WebSocket API's URL (stage included); when absent the page reads /endpoints.json. */
  readonly VITE_WS_URL?: string;
  /** Games to show: "id[:home:away],..."; default "g1,g2" (the demo simulator's). */
  readonly VITE_GAMES?: string;
  /** The event whose queue the waiting room joins; default "e1". */
  readonly VITE_QUEUE_EVENT?: string;
}

interface ImportMeta {
  readonly env: ImportMetaEnv;
}
