import { StatusPage } from './_components/status-page';

export default function NotFound() {
  return (
    <StatusPage tone="warning" title="There is nothing here" action={{ href: '/', label: 'Go to your documents' }}>
      This address does not point to a page or a document. Check the link you were given.
    </StatusPage>
  );
}
