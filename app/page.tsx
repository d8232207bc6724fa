import Link from 'next/link';
import { ImportDocument } from './_components/import-document';
import { NewDocumentButton } from './_components/new-document-button';
import { RecentDocuments } from './_components/recent-documents';

export default function HomePage() {
  return (
    <div className="home">
      <header className="home-header">
        <Link href="/" className="brand" aria-label="Tandem home">
          <span className="brand-mark" aria-hidden="true">T</span>
          Tandem
        </Link>
      </header>
      <main id="main" className="home-main">
        <section className="hero">
          <h1>Write together.</h1>
          <p className="hero-lede">
            Documents that several people edit at once, live, on your own server. Share a link, see each other&rsquo;s
            cursors, keep writing when the network drops.
          </p>
          <div className="hero-actions">
            <NewDocumentButton />
            <ImportDocument />
          </div>
        </section>
        <section className="recent" aria-labelledby="recent-heading">
          <h2 id="recent-heading">Opened in this browser</h2>
          <RecentDocuments />
        </section>
      </main>
    </div>
  );
}
