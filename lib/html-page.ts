/** A complete HTML file around a document's HTML, so an export opens as a page with its title. */
export function htmlPage(title: string, bodyHtml: string): string {
  const escaped = title.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
  return `<!doctype html>
<html>
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escaped}</title>
</head>
<body>
${bodyHtml}
</body>
</html>
`;
}
