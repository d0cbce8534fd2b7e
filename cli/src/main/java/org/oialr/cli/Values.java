package org.oialr.cli;

import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Converters of numeric option values that check the value as they read it, so that a bad value is an error naming
 * the option ({@code Invalid value for option '--lr': must be a finite number > 0, got Infinity}) before anything
 * runs. {@link Finite} and {@link FiniteFloat} are registered for every {@code double} and {@code float} option (NaN
 * and infinities make sense for none of them); the others are named by the options they check.
 */
public final class Values {
    private Values() {
    }

    static double parse(String s) {
        String t = s.strip();
        try {
            return Double.parseDouble(t);
        } catch (NumberFormatException e) {
            throw new TypeConversionException("'" + s + "' is not a number (write e.g. 0.001 or 1e-3)");
        }
    }

    static long parseWhole(String s) {
        try {
            return Long.parseLong(s.strip());
        } catch (NumberFormatException e) {
            throw new TypeConversionException("'" + s + "' is not a whole number");
        }
    }

    private static double finite(String s, String rule) {
        double v = parse(s);
        if (!Double.isFinite(v)) throw new TypeConversionException("must be a finite number" + rule + ", got " + s.strip());
        return v;
    }

    static String num(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? String.valueOf((long) v) : String.format(Locale.ROOT, "%s", v);
    }

    /** Any finite number (NaN and infinities are refused). */
    public static final class Finite implements ITypeConverter<Double> {
        @Override
        public Double convert(String s) {
            return finite(s, "");
        }
    }

    /** Any finite float32 number. */
    public static final class FiniteFloat implements ITypeConverter<Float> {
        @Override
        public Float convert(String s) {
            double v = finite(s, "");
            if (Math.abs(v) > Float.MAX_VALUE) throw new TypeConversionException("must be a finite float32 number (at most 3.4e38), got " + s.strip());
            return (float) v;
        }
    }

    /** A finite number {@code > 0}. */
    public static final class Positive implements ITypeConverter<Double> {
        @Override
        public Double convert(String s) {
            double v = finite(s, " > 0");
            if (!(v > 0)) throw new TypeConversionException("must be a finite number > 0, got " + num(v));
            return v;
        }
    }

    /** A finite number {@code >= 0}. */
    public static final class NonNegative implements ITypeConverter<Double> {
        @Override
        public Double convert(String s) {
            double v = finite(s, " >= 0");
            if (!(v >= 0)) throw new TypeConversionException("must be a finite number >= 0, got " + num(v));
            return v;
        }
    }

    /** A number in {@code [0, 1)} (float32). */
    public static final class UnitFraction implements ITypeConverter<Float> {
        @Override
        public Float convert(String s) {
            double v = finite(s, " in [0, 1)");
            if (!(v >= 0 && v < 1)) throw new TypeConversionException("must be a number in [0, 1), got " + num(v));
            return (float) v;
        }
    }

    /** A float32 number, finite or {@code Infinity} (for a threshold that "infinity" switches off), never NaN. */
    public static final class FloatOrInfinity implements ITypeConverter<Float> {
        @Override
        public Float convert(String s) {
            double v = parse(s);
            if (Double.isNaN(v)) throw new TypeConversionException("must be a number (or Infinity), got " + s.strip());
            return (float) v;
        }
    }

    /** A whole number {@code >= 1}. */
    public static final class AtLeastOne implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String s) {
            return whole(s, 1);
        }
    }

    /** A number of epochs: a whole number in [1, {@value #MAX_EPOCHS}]. */
    public static final class Epochs implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String s) {
            int n = whole(s, 1);
            if (n > MAX_EPOCHS) {
                throw new picocli.CommandLine.TypeConversionException("must be at most " + MAX_EPOCHS + " (a run that long would not end), got " + s);
            }
            return n;
        }
    }

    /** The most epochs the command line accepts; the library's {@code TrainConfig} has no such limit. */
    public static final int MAX_EPOCHS = 100_000;

    /** A whole number {@code >= 0}. */
    public static final class NonNegativeInt implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String s) {
            return whole(s, 0);
        }
    }

    /** A whole number {@code >= -1} (-1 for "automatic"). */
    public static final class AtLeastMinusOne implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String s) {
            return whole(s, -1);
        }
    }

    private static int whole(String s, int min) {
        long v = parseWhole(s);
        if (v < min) throw new TypeConversionException("must be a whole number >= " + min + ", got " + v);
        if (v > Integer.MAX_VALUE) throw new TypeConversionException("must be at most " + Integer.MAX_VALUE + ", got " + v);
        return (int) v;
    }
}
