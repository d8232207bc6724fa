import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { isDocId } from '../../../lib/doc-id';
import { DocumentScreen } from '../../_components/document-screen';

export const metadata: Metadata = { title: 'Document · Tandem' };

/** The id is validated where it enters; the key never reaches this server render (it is in the fragment). */
export default async function DocumentPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  if (!isDocId(id)) notFound();
  return <DocumentScreen docId={id} />;
}
