'use client';

import type { Editor } from '@tiptap/core';
import { yUndoPluginKey } from '@tiptap/y-tiptap';
import { useEffect, useMemo, useState, useSyncExternalStore, type KeyboardEvent, type ReactNode } from 'react';
import { editorFrameStore } from '../_lib/editor-frame-store';
import { rovingTarget } from '../_lib/roving-focus';
import {
  BulletListIcon,
  CodeBlockIcon,
  DividerIcon,
  LinkIcon,
  OrderedListIcon,
  QuoteIcon,
  RedoIcon,
  TaskListIcon,
  UndoIcon,
} from './icons';
import { LinkEditor } from './link-editor';

const isMac = () => typeof navigator !== 'undefined' && /Mac|iP(hone|ad)/.test(navigator.platform);

function shortcut(keys: string): string {
  return isMac() ? keys.replace('Mod', '⌘').replace('Shift', '⇧').replace('Alt', '⌥').replace(/\+/g, '') : keys.replace('Mod', 'Ctrl');
}

interface ButtonSpec {
  readonly id: string;
  readonly label: string;
  readonly icon: ReactNode;
  readonly keys?: string;
  readonly active?: boolean;
  readonly disabled?: boolean;
  readonly run: () => void;
}

function ToolButton({ spec, tabStop, onFocus }: { spec: ButtonSpec; tabStop: boolean; onFocus: () => void }) {
  const tip = spec.keys ? `${spec.label} (${shortcut(spec.keys)})` : spec.label;
  return (
    <button
      type="button"
      className="tool"
      data-tool={spec.id}
      aria-label={spec.label}
      aria-pressed={spec.active === undefined ? undefined : spec.active}
      title={tip}
      disabled={spec.disabled}
      tabIndex={tabStop ? 0 : -1}
      onFocus={onFocus}
      // Keep the editor's selection: a mousedown on a button would otherwise blur it.
      onMouseDown={(event) => event.preventDefault()}
      onClick={spec.run}
    >
      {spec.icon}
    </button>
  );
}

/** What the buttons show: the marks and blocks active at the caret, and whether undo and redo can run. */
function toolbarState(e: Editor) {
  const undo = yUndoPluginKey.getState(e.state)?.undoManager;
  return {
    h1: e.isActive('heading', { level: 1 }),
    h2: e.isActive('heading', { level: 2 }),
    h3: e.isActive('heading', { level: 3 }),
    bold: e.isActive('bold'),
    italic: e.isActive('italic'),
    strike: e.isActive('strike'),
    code: e.isActive('code'),
    link: e.isActive('link'),
    bulletList: e.isActive('bulletList'),
    orderedList: e.isActive('orderedList'),
    taskList: e.isActive('taskList'),
    blockquote: e.isActive('blockquote'),
    codeBlock: e.isActive('codeBlock'),
    // What the Collaboration extension's undo and redo commands check first. `e.can()` would
    // build every command of the editor to ask.
    canUndo: (undo?.undoStack.length ?? 0) > 0,
    canRedo: (undo?.redoStack.length ?? 0) > 0,
  };
}

/** Formatting controls that show what is active at the caret. */
export function EditorToolbar({ editor, linkRequest }: { editor: Editor; linkRequest: number }) {
  const [linkOpen, setLinkOpen] = useState(false);
  const [focusedTool, setFocusedTool] = useState('bold');
  useEffect(() => {
    if (linkRequest > 0) setLinkOpen(true);
  }, [linkRequest]);

  const store = useMemo(() => editorFrameStore(editor, toolbarState), [editor]);
  const s = useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot);

  const chain = () => editor.chain().focus();
  const groups: ButtonSpec[][] = [
    [
      { id: 'undo', label: 'Undo', icon: <UndoIcon />, keys: 'Mod+Z', disabled: !s.canUndo, run: () => chain().undo().run() },
      { id: 'redo', label: 'Redo', icon: <RedoIcon />, keys: 'Mod+Shift+Z', disabled: !s.canRedo, run: () => chain().redo().run() },
    ],
    [
      { id: 'h1', label: 'Heading 1', icon: 'H1', keys: 'Mod+Alt+1', active: s.h1, run: () => chain().toggleHeading({ level: 1 }).run() },
      { id: 'h2', label: 'Heading 2', icon: 'H2', keys: 'Mod+Alt+2', active: s.h2, run: () => chain().toggleHeading({ level: 2 }).run() },
      { id: 'h3', label: 'Heading 3', icon: 'H3', keys: 'Mod+Alt+3', active: s.h3, run: () => chain().toggleHeading({ level: 3 }).run() },
    ],
    [
      { id: 'bold', label: 'Bold', icon: <b>B</b>, keys: 'Mod+B', active: s.bold, run: () => chain().toggleBold().run() },
      { id: 'italic', label: 'Italic', icon: <i>I</i>, keys: 'Mod+I', active: s.italic, run: () => chain().toggleItalic().run() },
      { id: 'strike', label: 'Strikethrough', icon: <s>S</s>, keys: 'Mod+Shift+S', active: s.strike, run: () => chain().toggleStrike().run() },
      { id: 'code', label: 'Inline code', icon: <code>{'</>'}</code>, keys: 'Mod+E', active: s.code, run: () => chain().toggleCode().run() },
      { id: 'link', label: 'Link', icon: <LinkIcon />, keys: 'Mod+K', active: s.link, run: () => setLinkOpen((open) => !open) },
    ],
    [
      { id: 'bulletList', label: 'Bulleted list', icon: <BulletListIcon />, keys: 'Mod+Shift+8', active: s.bulletList, run: () => chain().toggleBulletList().run() },
      { id: 'orderedList', label: 'Numbered list', icon: <OrderedListIcon />, keys: 'Mod+Shift+7', active: s.orderedList, run: () => chain().toggleOrderedList().run() },
      { id: 'taskList', label: 'Task list', icon: <TaskListIcon />, keys: 'Mod+Shift+9', active: s.taskList, run: () => chain().toggleTaskList().run() },
    ],
    [
      { id: 'blockquote', label: 'Quote', icon: <QuoteIcon />, keys: 'Mod+Shift+B', active: s.blockquote, run: () => chain().toggleBlockquote().run() },
      { id: 'codeBlock', label: 'Code block', icon: <CodeBlockIcon />, keys: 'Mod+Alt+C', active: s.codeBlock, run: () => chain().toggleCodeBlock().run() },
      { id: 'hr', label: 'Divider', icon: <DividerIcon />, run: () => chain().setHorizontalRule().run() },
    ],
  ];

  // One tab stop: the last focused button, or the first enabled one when that is disabled now.
  const enabled = groups.flat().filter((spec) => !spec.disabled);
  const tabStop = enabled.some((spec) => spec.id === focusedTool) ? focusedTool : enabled[0]?.id;
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const buttons = [...event.currentTarget.querySelectorAll<HTMLButtonElement>('button.tool:not(:disabled)')];
    const target = rovingTarget(event.key, buttons.indexOf(document.activeElement as HTMLButtonElement), buttons.length);
    if (target === null) return;
    event.preventDefault();
    buttons[target]?.focus();
  };

  return (
    <div className="toolbar-wrap">
      <div className="toolbar" role="toolbar" aria-label="Formatting" aria-orientation="horizontal" onKeyDown={onKeyDown}>
        {groups.map((group, i) => (
          <div className="tool-group" key={i}>
            {group.map((spec) => (
              <ToolButton key={spec.id} spec={spec} tabStop={spec.id === tabStop} onFocus={() => setFocusedTool(spec.id)} />
            ))}
          </div>
        ))}
      </div>
      {linkOpen ? <LinkEditor editor={editor} onClose={() => setLinkOpen(false)} /> : null}
    </div>
  );
}
