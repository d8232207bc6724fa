/**
 * `tandem`: create, export, append to and watch documents from a terminal or a script.
 * LINK is the link the browser shows, `http(s)://HOST:PORT/d/<id>#key=<key>`.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { CONTENT_FORMATS, formatOfFileName, isContentFormat, type ContentFormat } from '../lib/content-format';
import { documentLink, parseDocumentLink, type ParsedLink } from '../lib/doc-link';
import { createDocument, readContent, writeContent, type ContentBody } from './api-client';
import { CliError } from './cli-error';

export const DEFAULT_SERVER = 'http://127.0.0.1:3000';

function linkArgument(value: string): ParsedLink {
  try {
    return parseDocumentLink(value);
  } catch (error) {
    throw new InvalidArgumentError(error instanceof Error ? error.message : String(error));
  }
}

function serverOption(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('expected a server address like http://127.0.0.1:3000');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidArgumentError('expected an http:// or https:// address');
  return url.origin;
}

function formatOption(value: string): ContentFormat {
  if (!isContentFormat(value)) throw new InvalidArgumentError(`expected one of ${CONTENT_FORMATS.join(', ')}`);
  return value;
}

const formatFlag = (what: string) => new Option('-f, --format <format>', what).choices([...CONTENT_FORMATS]).argParser(formatOption);

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** A file (or `-`, standard input) as content: its format from `--format`, else its extension, else Markdown. */
async function readInput(file: string, format: ContentFormat | undefined): Promise<ContentBody> {
  let content: string;
  try {
    content = file === '-' ? await readStdin() : await fs.readFile(file, 'utf8');
  } catch (error) {
    const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
    throw new CliError(`cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : error instanceof Error ? error.message : String(error)}`);
  }
  const chosen = format ?? (file === '-' ? 'markdown' : formatOfFileName(file));
  if (!chosen) throw new CliError(`cannot tell the format of ${file} from its name: pass --format (${CONTENT_FORMATS.join(', ')})`);
  return { format: chosen, content };
}

export interface Io {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Aborts when the user interrupts `watch`. */
  readonly interrupted: AbortSignal;
}

/** The command-line program; `io` is where it writes. */
export function cliProgram(io: Io): Command {
  const program = new Command('tandem')
    .description('Create, export, append to and watch Tandem documents.\nLINK is the browser link: http(s)://HOST:PORT/d/<id>#key=<key>')
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr, outputError: (text, write) => write(`tandem: ${text.replace(/^error: /, '')}`) })
    .exitOverride();

  program
    .command('new')
    .description('create a document, from FILE if given (.md, .html, .txt, .json; - for standard input), and print its owner link')
    .argument('[file]', 'content of the new document')
    .addOption(new Option('-s, --server <url>', 'the Tandem server').default(DEFAULT_SERVER).argParser(serverOption))
    .addOption(formatFlag('format of FILE (default: from its extension)'))
    .option('-t, --title <title>', 'title of the document (default: the file name)')
    .action(async (file: string | undefined, options: { server: string; format?: ContentFormat; title?: string }) => {
      let body: (ContentBody & { title?: string }) | null = null;
      if (file !== undefined) {
        const input = await readInput(file, options.format);
        const title = options.title ?? (file === '-' ? undefined : path.basename(file).replace(/\.[^.]+$/, ''));
        body = { ...input, ...(title !== undefined ? { title } : {}) };
      } else if (options.title !== undefined) {
        body = { format: 'text', content: '', title: options.title };
      }
      const { id, ownerKey } = await createDocument(options.server, body);
      io.stdout(`${documentLink(options.server, id, ownerKey)}\n`);
    });

  program
    .command('export')
    .description('print the document in a format (default markdown)')
    .argument('<link>', 'the document link', linkArgument)
    .addOption(formatFlag('markdown, html, text or json').default('markdown'))
    .action(async (link: ParsedLink, options: { format: ContentFormat }) => {
      io.stdout(await readContent(link, options.format));
    });

  program
    .command('append')
    .description('add the content of FILE (- for standard input) at the end of the document')
    .argument('<link>', 'the document link (an edit or owner link)', linkArgument)
    .argument('<file>', 'a .md, .html, .txt or .json file, or - for standard input (read as Markdown unless --format)')
    .addOption(formatFlag('format of FILE (default: from its extension)'))
    .action(async (link: ParsedLink, file: string, options: { format?: ContentFormat }) => {
      await writeContent(link, await readInput(file, options.format), 'append');
    });

  program
    .command('watch')
    .description('print the document as plain text, and again each time it changes, until interrupted (Ctrl+C); reconnects by itself')
    .argument('<link>', 'the document link', linkArgument)
    .action(async (link: ParsedLink) => {
      let first = true;
      // Loaded only here: the editor schema is more than the other commands need to start.
      const { watchDocument } = await import('./watch');
      await watchDocument(
        link,
        {
          text(snapshot) {
            // Each change prints the whole text again, under a line with the time.
            io.stdout(`${first ? '' : '\n'}--- ${new Date().toISOString()}\n${snapshot}`);
            first = false;
          },
          status: (line) => io.stderr(`tandem: ${line}\n`),
        },
        io.interrupted,
      );
    });

  return program;
}

/** Runs the CLI; resolves with the exit code. Every error becomes one line on stderr. */
export async function runCli(argv: readonly string[], io: Io): Promise<number> {
  try {
    await cliProgram(io).parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (error) {
    // commander has already printed its own message (and help, for --help).
    if (error instanceof CommanderError) return error.exitCode;
    if (error instanceof CliError) {
      io.stderr(`tandem: ${error.message}\n`);
      return error.exitCode;
    }
    io.stderr(`tandem: unexpected error: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

/** The `tandem` executable. */
export async function main(): Promise<void> {
  const interrupt = new AbortController();
  process.once('SIGINT', () => interrupt.abort());
  process.once('SIGTERM', () => interrupt.abort());
  const code = await runCli(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    interrupted: interrupt.signal,
  });
  process.exitCode = code;
  // Sockets and timers of a finished command must not keep the process alive.
  process.stdout.write('', () => process.exit(code));
}
