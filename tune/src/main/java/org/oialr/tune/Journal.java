package org.oialr.tune;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.oialr.io.Json;

/**
 * A search's journal: JSON lines, the first the search's settings ({@code {"journal": "oialr-tune/1", "settings": {...}}}),
 * then one line per finished, pruned or failed trial ({@link TrialRecord}) and, when the search trains one, one line for
 * its full-rank baseline ({@code {"baseline": {...}}}, {@link Baseline}), and one line per re-validation run
 * ({@code {"revalidation": {"trial": N, "seed": S, ...}}}, trial 0 the baseline; {@link Revalidation}). Each line is appended with one write and
 * forced to disk before the search goes on, so a crash loses at most the line being written; a torn last line (no
 * newline, or not JSON) is ignored on reading and overwritten by the next append.
 */
public final class Journal {
    /** The value of the header line's {@code journal} key. */
    public static final String FORMAT = "oialr-tune/1";
    private final Path file;

    private Journal(Path file) {
        this.file = file;
    }

    /** The journal at {@code file} (not read or written yet). */
    public static Journal at(Path file) {
        return new Journal(file);
    }

    /** The journal's file. */
    public Path file() {
        return file;
    }

    /** The settings of the header line, or null when the file does not exist or is empty. */
    Map<?, ?> settings() throws IOException {
        List<Map<?, ?>> lines = lines();
        return lines.isEmpty() ? null : (Map<?, ?>) lines.get(0).get("settings");
    }

    /**
     * The trials the journal holds, in the order they were written.
     *
     * @throws IllegalArgumentException naming the file and the line when a complete line is not a trial record
     */
    public List<TrialRecord> records() throws IOException {
        List<Map<?, ?>> lines = lines();
        List<TrialRecord> out = new ArrayList<>();
        for (int i = 1; i < lines.size(); i++) {
            if (lines.get(i).containsKey("baseline") || lines.get(i).containsKey("revalidation")) continue;
            try {
                out.add(TrialRecord.fromMap(lines.get(i)));
            } catch (RuntimeException e) {
                throw new IllegalArgumentException(file + ": line " + (i + 1) + " is not a trial record (" + e.getMessage()
                        + "); give the journal this search wrote, or start a new search in another directory", e);
            }
        }
        return out;
    }

    /**
     * The full-rank baseline the journal holds, or null when it holds none.
     *
     * @throws IllegalArgumentException naming the file when the baseline line is damaged
     */
    public Baseline baseline() throws IOException {
        for (Map<?, ?> line : lines()) {
            if (line.get("baseline") instanceof Map<?, ?> m) {
                try {
                    return Baseline.fromMap(m);
                } catch (RuntimeException e) {
                    throw new IllegalArgumentException(file + ": the baseline line is damaged (" + e.getMessage()
                            + "); delete that line to train the baseline again, or start a new search in another directory", e);
                }
            }
        }
        return null;
    }

    /**
     * The re-validation runs the journal holds ({@link Revalidation}), by {@link #revalidationKey}: trial 0 is the
     * full-rank baseline.
     *
     * @throws IllegalArgumentException naming the file when a re-validation line is damaged
     */
    Map<String, Revalidation.Run> revalidationRuns() throws IOException {
        Map<String, Revalidation.Run> out = new HashMap<>();
        for (Map<?, ?> line : lines()) {
            if (line.get("revalidation") instanceof Map<?, ?> m) {
                try {
                    out.put(revalidationKey(((Number) m.get("trial")).intValue(), ((Number) m.get("seed")).longValue()), Revalidation.Run.fromMap(m));
                } catch (RuntimeException e) {
                    throw new IllegalArgumentException(file + ": a re-validation line is damaged (" + e.getMessage()
                            + "); delete that line to train that run again, or start a new search in another directory", e);
                }
            }
        }
        return out;
    }

    /** The key of trial {@code trial}'s (0: the baseline's) re-validation run on {@code seed}. */
    static String revalidationKey(int trial, long seed) {
        return trial + "@" + seed;
    }

    /** Appends the line of trial {@code trial}'s (0: the baseline's) re-validation run and forces it to disk. */
    void appendRevalidation(int trial, Revalidation.Run run) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("trial", trial);
        m.putAll(run.toMap());
        append(Map.of("revalidation", m));
    }

    /** The complete lines as JSON objects; a torn last line is dropped (and cut off the file). */
    private List<Map<?, ?>> lines() throws IOException {
        if (!Files.exists(file)) return List.of();
        String text = Files.readString(file, StandardCharsets.UTF_8);
        List<Map<?, ?>> out = new ArrayList<>();
        int start = 0;
        while (start < text.length()) {
            int nl = text.indexOf('\n', start);
            if (nl < 0) break; // torn: written without its newline
            String line = text.substring(start, nl);
            try {
                if (!line.isBlank()) out.add((Map<?, ?>) Json.parse(line));
            } catch (RuntimeException e) {
                if (nl + 1 < text.length()) {
                    throw new IllegalArgumentException(file + ": line " + (out.size() + 1) + " is not JSON (" + e.getMessage()
                            + "); give the journal this search wrote, or start a new search in another directory", e);
                }
                break; // a damaged last line: as torn
            }
            start = nl + 1;
        }
        if (start < text.length()) truncate(text.substring(0, start).getBytes(StandardCharsets.UTF_8).length);
        if (!out.isEmpty() && !FORMAT.equals(out.get(0).get("journal"))) {
            throw new IllegalArgumentException(file + ": not a journal of oialr tune (its first line has no \"journal\": \"" + FORMAT
                    + "\"); give the journal.jsonl a search wrote, or another output directory");
        }
        return out;
    }

    private void truncate(long size) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(size);
            ch.force(true);
        }
    }

    /** Starts a new journal with the header line for {@code settings} (replacing an empty or missing file). */
    void start(Map<String, Object> settings) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.deleteIfExists(file);
        append(Map.of("journal", FORMAT, "settings", settings));
    }

    /** Appends {@code r}'s line and forces it to disk. */
    void append(TrialRecord r) throws IOException {
        append(r.toMap());
    }

    /** Appends the baseline's line and forces it to disk. */
    void append(Baseline b) throws IOException {
        append(Map.of("baseline", b.toMap()));
    }

    private synchronized void append(Map<String, Object> line) throws IOException {
        byte[] bytes = (Json.writeCompact(line) + "\n").getBytes(StandardCharsets.UTF_8);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) ch.write(b);
            ch.force(true);
        }
    }
}
