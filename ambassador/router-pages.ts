// The router's own answers: small pages that say what happened and what to do.
// Browsers get HTML, everything else plain text.

export interface RouterPage { status: number; title: string; detail: string }

export function notFoundPage(host: string | undefined, domain: string): RouterPage {
  return host
    ? { status: 404, title: 'No such app', detail: `Nothing is served for the host "${host}". Web apps answer at <app>.${domain} or <service>.<app>.${domain}, for services with "role": "web".` }
    : { status: 400, title: 'No Host header', detail: `The request carries no Host header; send Host: <app>.${domain}.` }
}

export function noBackendPage(host: string): RouterPage {
  return { status: 503, title: 'Service unavailable', detail: `"${host}" has no running web instance right now. It will answer again as soon as one is running.` }
}

export function badGatewayPage(host: string, tried: number): RouterPage {
  return { status: 502, title: 'Bad gateway', detail: `None of the ${tried} instance(s) of "${host}" answered. Try again shortly; if this persists, check the app's containers.` }
}

export function renderPage(page: RouterPage, accept: string | undefined): { contentType: string; body: string } {
  if (accept?.includes('text/html')) {
    const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!)
    return {
      contentType: 'text/html; charset=utf-8',
      body: `<!doctype html><html><head><meta charset="utf-8"><title>${page.status} ${esc(page.title)}</title></head>` +
        `<body><h1>${page.status} ${esc(page.title)}</h1><p>${esc(page.detail)}</p><hr><p>dokkaa-ambassador</p></body></html>\n`,
    }
  }
  return { contentType: 'text/plain; charset=utf-8', body: `${page.status} ${page.title}: ${page.detail}\n` }
}
