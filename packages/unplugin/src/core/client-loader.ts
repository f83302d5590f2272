/**
 * A one-line script added to entry bundles in watch mode: adds the live server's client to the page once. One line,
 * so that prepending it to a written file moves no source-mapped line. A page that loads the client itself keeps its
 * own tag (the client also guards against running twice).
 */
export function clientLoader(clientUrl: string): string {
  return `;(function(){if(typeof document==="undefined")return;var u=${JSON.stringify(clientUrl)};for(var i=0;i<document.scripts.length;i++)if(document.scripts[i].src===u)return;var s=document.createElement("script"),c=document.currentScript;s.src=u;if(c&&c.nonce)s.nonce=c.nonce;(document.head||document.documentElement).appendChild(s)})();/* live-assets: watch mode only */`
}

/** The loader's marker: an output that already starts with it is left alone. */
export const CLIENT_LOADER_MARKER = '/* live-assets: watch mode only */'
