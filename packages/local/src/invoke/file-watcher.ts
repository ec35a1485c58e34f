import { watch, type FSWatcher } from "node:fs";
import { basename, dirname } from "node:path";
import type { Log } from "../log";
import { describeError } from "../log";
import type { TimerHandle, Timers } from "./clock";

/**
 * Watches a set of files and calls back once per burst of changes.
 *
 * It watches their directories, not the files: editors often save by writing a
 * new file and renaming it over the old one, which silently ends a watch on the
 * old inode. One fs.watch per directory is shared by every subscriber.
 */
export interface FileWatcher {
  /** Calls onChange (debounced) when any of the files changes; returns the unsubscribe. */
  watchFiles(files: string[], onChange: () => void): () => void;
  close(): void;
}

interface DirectoryWatch {
  watcher: FSWatcher;
  /** File name in this directory -> subscribers interested in it. */
  listeners: Map<string, Set<Subscriber>>;
}

interface Subscriber {
  fire(): void;
}

export function createFileWatcher(options: { debounceMs: number; timers: Timers; log: Log }): FileWatcher {
  const directories = new Map<string, DirectoryWatch>();

  function directoryWatch(dir: string): DirectoryWatch {
    let entry = directories.get(dir);
    if (entry) return entry;
    const listeners = new Map<string, Set<Subscriber>>();
    const watcher = watch(dir, { persistent: false }, (_event, filename) => {
      if (filename === null) {
        // The platform did not say which file: tell everyone in the directory.
        for (const set of listeners.values()) for (const subscriber of set) subscriber.fire();
        return;
      }
      for (const subscriber of listeners.get(filename.toString()) ?? []) subscriber.fire();
    });
    watcher.on("error", (error) =>
      options.log(
        "warn",
        `stopped watching ${dir} for handler changes (${describeError(error)}); restart the dev CLI to reload handlers again`,
      ),
    );
    entry = { watcher, listeners };
    directories.set(dir, entry);
    return entry;
  }

  return {
    watchFiles(files, onChange) {
      let pending: TimerHandle | undefined;
      let active = true;
      const subscriber: Subscriber = {
        fire() {
          if (!active) return;
          if (pending !== undefined) options.timers.clearTimeout(pending);
          pending = options.timers.setTimeout(() => {
            pending = undefined;
            if (active) onChange();
          }, options.debounceMs);
        },
      };
      const registered: [DirectoryWatch, string][] = [];
      for (const file of files) {
        const entry = directoryWatch(dirname(file));
        const name = basename(file);
        let set = entry.listeners.get(name);
        if (!set) entry.listeners.set(name, (set = new Set()));
        set.add(subscriber);
        registered.push([entry, name]);
      }
      return () => {
        active = false;
        if (pending !== undefined) options.timers.clearTimeout(pending);
        for (const [entry, name] of registered) {
          const set = entry.listeners.get(name);
          set?.delete(subscriber);
          if (set && set.size === 0) entry.listeners.delete(name);
        }
        for (const [dir, entry] of directories) {
          if (entry.listeners.size === 0) {
            entry.watcher.close();
            directories.delete(dir);
          }
        }
      };
    },
    close() {
      for (const entry of directories.values()) entry.watcher.close();
      directories.clear();
    },
  };
}
