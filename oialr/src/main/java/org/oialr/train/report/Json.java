package org.oialr.train.report;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.oialr.train.io.AtomicFiles;
import org.oialr.train.io.CorruptFileException;

/**
 * JSON for run summaries and checkpoint metadata, through Gson: pretty-printed, records supported, NaN and
 * infinities written as {@code NaN}/{@code Infinity} (a diverged run still gets a summary), files written
 * atomically.
 */
public final class Json {
    /** The shared, thread-safe Gson instance. */
    public static final Gson GSON = new GsonBuilder()
            .setPrettyPrinting()
            .serializeSpecialFloatingPointValues()
            .disableHtmlEscaping()
            .create();

    private Json() {
    }

    public static String toJson(Object value) {
        return GSON.toJson(value);
    }

    /** Parses {@code json} into {@code type}; throws {@link JsonParseException} on malformed input. */
    public static <T> T fromJson(String json, Class<T> type) {
        return GSON.fromJson(json, type);
    }

    /** Writes {@code value} as JSON to {@code file} atomically (UTF-8, ending with a newline). */
    public static void write(Path file, Object value) throws IOException {
        AtomicFiles.writeString(file, toJson(value) + "\n");
    }

    /**
     * Reads {@code file} into {@code type}.
     *
     * @throws CorruptFileException naming the file when it is not valid JSON for {@code type}
     */
    public static <T> T read(Path file, Class<T> type) throws IOException {
        String text = Files.readString(file, StandardCharsets.UTF_8);
        try {
            T value = GSON.fromJson(text, type);
            if (value == null) throw new CorruptFileException(file, "empty JSON, expected a " + type.getSimpleName());
            return value;
        } catch (JsonParseException e) {
            throw new CorruptFileException(file, "not valid JSON for " + type.getSimpleName() + " (" + e.getMessage() + ")");
        }
    }
}
