/**
 * Escape text for HTML (element content and quoted attributes) and for plotly's HTML subset in titles
 * and hover text. The quote is written as a numeric reference: plotly decodes those but not `&quot;`.
 */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&#34;");
}
