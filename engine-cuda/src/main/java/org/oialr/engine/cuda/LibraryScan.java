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
import java.util.TreeSet;

/**
 * Looks (without recursion) in the usual library directories for files named like {@code libcublas.so*},
 * so that a probe failure can say which CUDA versions a machine has ("found libcublas.so.12.6.4.1: CUDA 12").
 * Symbolic links are resolved and each real file is reported once, however many links and directories lead
 * to it (/usr/local/cuda/lib64 and /usr/local/cuda-13.0/targets/x86_64-linux/lib are usually the same).
 */
final class LibraryScan {
    /** The CUDA libraries the bytedeco CUDA 13.1 presets' JNI libraries link against (cudart, cublas, cusolver, cusparse). */
    static final List<String> CUDA_LIBRARIES = List.of("libcudart.so.13", "libcublas.so.13", "libcublasLt.so.13",
            "libcusolver.so.12", "libcusolverMg.so.12", "libcusparse.so.12", "libnvJitLink.so.13");
    /** The driver's library, which libjnicudart links against too. */
    static final String DRIVER_LIBRARY = "libcuda.so.1";

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

    /**
     * The real files (symbolic links resolved, each once) behind the names in {@code dirs} that start with
     * {@code prefix} (e.g. "libcublas.so"), sorted by path. A dangling link is left out.
     */
    static List<Path> find(String prefix, List<Path> dirs) {
        Set<Path> found = new TreeSet<>();
        for (Path d : dirs) {
            if (!Files.isDirectory(d)) continue;
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(d, prefix + "*")) {
                for (Path p : ds) {
                    try {
                        found.add(p.toRealPath());
                    } catch (IOException | RuntimeException dangling) {
                        // a link to nothing is not a library
                    }
                }
            } catch (IOException | RuntimeException ignored) {
                // unreadable directory: skip it
            }
        }
        return new ArrayList<>(found);
    }

    /** The family prefix of a soname: "libcublas.so.13" -> "libcublas.so". */
    static String family(String soname) {
        int so = soname.indexOf(".so");
        return so < 0 ? soname : soname.substring(0, so + 3);
    }

    /**
     * One line per CUDA library the backend needs, with the real files found for it (for the GPU bundle's
     * summary): "libcublas.so.13: /usr/local/cuda-13.0/targets/x86_64-linux/lib/libcublas.so.13.1.0.3".
     */
    static List<String> summary() {
        List<Path> dirs = directories();
        List<String> lines = new ArrayList<>();
        List<String> names = new ArrayList<>(CUDA_LIBRARIES);
        names.add(0, DRIVER_LIBRARY);
        for (String name : names) {
            List<Path> found = find(family(name), dirs);
            lines.add(name + ": " + (found.isEmpty() ? "not found" : ProbeReasons.listPaths(found)));
        }
        return lines;
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
