package org.oialr.engine.cuda;

import java.io.File;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Looks (without recursion) in the usual library directories for files named like {@code libcublas.so*},
 * so that a probe failure can say which CUDA versions a machine has ("found libcublas.so.13: CUDA 13").
 */
final class LibraryScan {
    private LibraryScan() {
    }

    /** The directories searched: LD_LIBRARY_PATH, java.library.path, the CUDA toolkit and the system's library dirs. */
    static List<Path> directories() {
        Set<Path> dirs = new LinkedHashSet<>();
        addPathList(dirs, System.getenv("LD_LIBRARY_PATH"));
        addPathList(dirs, System.getProperty("java.library.path"));
        for (String d : new String[] {"/usr/local/cuda/lib64", "/usr/local/cuda/targets/x86_64-linux/lib", "/usr/lib/x86_64-linux-gnu",
                "/usr/lib64", "/lib64", "/usr/lib", "/lib/x86_64-linux-gnu"}) {
            dirs.add(Path.of(d));
        }
        Path local = Path.of("/usr/local");
        if (Files.isDirectory(local)) {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(local, "cuda-*")) {
                for (Path p : ds) {
                    dirs.add(p.resolve("lib64"));
                    dirs.add(p.resolve("targets/x86_64-linux/lib"));
                }
            } catch (IOException | RuntimeException ignored) {
                // an unreadable /usr/local only shortens the list
            }
        }
        return new ArrayList<>(dirs);
    }

    /** Files in {@code dirs} whose names start with {@code prefix} (e.g. "libcublas.so"), sorted by path. */
    static List<Path> find(String prefix, List<Path> dirs) {
        Set<Path> found = new java.util.TreeSet<>();
        for (Path d : dirs) {
            if (!Files.isDirectory(d)) continue;
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(d, prefix + "*")) {
                for (Path p : ds) found.add(p);
            } catch (IOException | RuntimeException ignored) {
                // unreadable directory: skip it
            }
        }
        return new ArrayList<>(found);
    }

    private static void addPathList(Set<Path> dirs, String list) {
        if (list == null) return;
        for (String s : list.split(File.pathSeparator)) {
            if (!s.isBlank()) {
                try {
                    dirs.add(Path.of(s.trim()));
                } catch (RuntimeException ignored) {
                    // an invalid entry cannot hold libraries
                }
            }
        }
    }
}
