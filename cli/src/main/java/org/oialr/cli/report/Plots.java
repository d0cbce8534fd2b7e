package org.oialr.cli.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Paint;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.AxisLocation;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.SymbolAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.PaintScale;
import org.jfree.chart.renderer.xy.XYBlockRenderer;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.PaintScaleLegend;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.data.xy.DefaultXYZDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.oialr.io.AtomicFiles;

/**
 * PNG plots of a training run with JFreeChart, rendered headless: line charts (for example top-1 accuracy on
 * the left axis and trainable parameters in % on the right, over epochs or steps) and the Stability heatmap
 * (layers x steps, values in [0, 1], with a colour scale), as in Figure 1 of the OIALR paper.
 *
 * <p>The builders return the {@link JFreeChart} so callers may adjust it; {@link #savePng} writes it atomically.
 */
public final class Plots {
    static {
        // Plots never open a window; without a display AWT must be headless before it initialises.
        if (System.getProperty("java.awt.headless") == null) System.setProperty("java.awt.headless", "true");
    }

    /** Colour of heatmap cells without a value (NaN), e.g. a layer that is not low-rank yet. */
    public static final Color MISSING = new Color(0xDD, 0xDD, 0xDD);

    private Plots() {
    }

    /** One named line: points {@code (x[i], y[i])}; NaN in {@code y} leaves a gap. */
    public record Series(String name, double[] x, double[] y) {
        public Series {
            if (x.length != y.length) {
                throw new IllegalArgumentException("Series '" + name + "': " + x.length + " x values and " + y.length + " y values");
            }
        }

        /** A series over x = 0, 1, 2, ... */
        public static Series of(String name, double... y) {
            double[] x = new double[y.length];
            for (int i = 0; i < x.length; i++) x[i] = i;
            return new Series(name, x, y);
        }
    }

    /** Series with at most this many points get a marker at each point (a line through one point draws nothing). */
    public static final int MARKERS_UP_TO = 60;

    /**
     * A line chart with {@code left} series on a left y axis and, when {@code right} is non-empty, the
     * {@code right} series (dashed) on a second y axis at the right. A series of at most {@value #MARKERS_UP_TO}
     * points (a run's epochs) also gets a marker at each point, so that one epoch, or a value between two gaps,
     * shows.
     *
     * @param right series for the right axis; empty or null for a single axis
     */
    public static JFreeChart lineChart(String title, String xLabel, String leftLabel, List<Series> left,
                                       String rightLabel, List<Series> right) {
        NumberAxis xAxis = new NumberAxis(xLabel);
        xAxis.setAutoRangeIncludesZero(false);
        List<Series> all = new java.util.ArrayList<>(left);
        if (right != null) all.addAll(right);
        fitDegenerate(xAxis, all, true);
        NumberAxis leftAxis = new NumberAxis(leftLabel);
        leftAxis.setAutoRangeIncludesZero(false);
        fitDegenerate(leftAxis, left, false);
        XYLineAndShapeRenderer leftRenderer = new XYLineAndShapeRenderer(true, false);
        // the left series' markers are drawn last, on top: smaller circles, so that a right marker behind shows
        markers(leftRenderer, left, new java.awt.geom.Ellipse2D.Double(-4, -4, 8, 8));
        XYPlot plot = new XYPlot(collection(left), xAxis, leftAxis, leftRenderer);
        if (right != null && !right.isEmpty()) {
            NumberAxis rightAxis = new NumberAxis(rightLabel);
            rightAxis.setAutoRangeIncludesZero(false);
            fitDegenerate(rightAxis, right, false);
            plot.setRangeAxis(1, rightAxis);
            plot.setRangeAxisLocation(1, AxisLocation.BOTTOM_OR_RIGHT);
            plot.setDataset(1, collection(right));
            plot.mapDatasetToRangeAxis(1, 1);
            XYLineAndShapeRenderer rightRenderer = new XYLineAndShapeRenderer(true, false);
            markers(rightRenderer, right, new java.awt.geom.Rectangle2D.Double(-6, -6, 12, 12));
            rightRenderer.setDefaultStroke(new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f));
            rightRenderer.setAutoPopulateSeriesStroke(false);
            plot.setRenderer(1, rightRenderer);
        }
        leftRenderer.setDefaultStroke(new BasicStroke(2f));
        leftRenderer.setAutoPopulateSeriesStroke(false);
        return chart(title, plot, true);
    }

    /**
     * A scatter plot: each series is drawn as markers only (no lines), in its own colour and shape, and named in
     * the legend (for example one point per method: accuracy against trainable parameters). The x axis starts at 0.
     */
    public static JFreeChart scatter(String title, String xLabel, String yLabel, List<Series> series) {
        NumberAxis xAxis = new NumberAxis(xLabel);
        xAxis.setAutoRangeIncludesZero(true);
        xAxis.setUpperMargin(0.08);
        NumberAxis yAxis = new NumberAxis(yLabel);
        yAxis.setAutoRangeIncludesZero(false);
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(false, true);
        renderer.setDefaultShapesFilled(true);
        java.awt.Shape[] shapes = {new java.awt.geom.Ellipse2D.Double(-6, -6, 12, 12), new java.awt.geom.Rectangle2D.Double(-6, -6, 12, 12),
                new java.awt.Polygon(new int[] {0, 7, -7}, new int[] {-7, 6, 6}, 3), new java.awt.Polygon(new int[] {0, 7, 0, -7}, new int[] {-8, 0, 8, 0}, 4)};
        for (int i = 0; i < series.size(); i++) renderer.setSeriesShape(i, shapes[i % shapes.length]);
        XYPlot plot = new XYPlot(collection(series), xAxis, yAxis, renderer);
        return chart(title, plot, true);
    }

    /**
     * A heatmap of {@code values[r][c]} with one row per {@code rowNames[r]} (the first row at the top) and one
     * column per {@code columns[c]} (for example the step at which each value was measured; strictly
     * increasing; cells are as wide as the smallest gap). Values are clipped to [0, 1] and coloured with a
     * perceptually uniform scale (viridis) shown in a legend; NaN cells are drawn in {@link #MISSING}.
     */
    public static JFreeChart heatmap(String title, String xLabel, List<String> rowNames, double[] columns, double[][] values,
                                     String scaleLabel) {
        int rows = rowNames.size(), cols = columns.length;
        if (values.length != rows) throw new IllegalArgumentException("heatmap: " + values.length + " value rows for " + rows + " row names");
        if (rows == 0 || cols == 0) throw new IllegalArgumentException("heatmap: needs at least one row and one column, got " + rows + " x " + cols);
        double width = Double.POSITIVE_INFINITY;
        for (int c = 1; c < cols; c++) {
            double gap = columns[c] - columns[c - 1];
            if (!(gap > 0)) throw new IllegalArgumentException("heatmap: columns must increase strictly, got " + columns[c - 1] + " then " + columns[c]);
            width = Math.min(width, gap);
        }
        if (cols == 1) width = 1;
        double[] xs = new double[rows * cols], ys = new double[rows * cols], zs = new double[rows * cols];
        for (int r = 0; r < rows; r++) {
            if (values[r].length != cols) {
                throw new IllegalArgumentException("heatmap: row '" + rowNames.get(r) + "' has " + values[r].length + " values for " + cols + " columns");
            }
            for (int c = 0; c < cols; c++) {
                int k = r * cols + c;
                xs[k] = columns[c];
                ys[k] = r;
                zs[k] = values[r][c];
            }
        }
        DefaultXYZDataset data = new DefaultXYZDataset();
        data.addSeries("values", new double[][] {xs, ys, zs});

        NumberAxis xAxis = new NumberAxis(xLabel);
        xAxis.setAutoRangeIncludesZero(false);
        xAxis.setLowerMargin(0);
        xAxis.setUpperMargin(0);
        SymbolAxis yAxis = new SymbolAxis(null, rowNames.toArray(new String[0]));
        yAxis.setInverted(true);
        yAxis.setGridBandsVisible(false);
        yAxis.setLowerMargin(0);
        yAxis.setUpperMargin(0);
        yAxis.setRange(-0.5, rows - 0.5);

        XYBlockRenderer renderer = new XYBlockRenderer();
        ViridisScale scale = new ViridisScale();
        renderer.setPaintScale(scale);
        renderer.setBlockWidth(width);
        renderer.setBlockHeight(1);
        renderer.setBlockAnchor(RectangleAnchor.CENTER);
        XYPlot plot = new XYPlot(data, xAxis, yAxis, renderer);
        JFreeChart chart = chart(title, plot, false);
        plot.setDomainGridlinesVisible(false);
        plot.setRangeGridlinesVisible(false);
        plot.setAxisOffset(RectangleInsets.ZERO_INSETS);
        plot.setOutlinePaint(Color.DARK_GRAY);
        NumberAxis scaleAxis = new NumberAxis(scaleLabel);
        scaleAxis.setRange(0, 1);
        PaintScaleLegend legend = new PaintScaleLegend(scale, scaleAxis);
        legend.setPosition(RectangleEdge.RIGHT);
        legend.setAxisLocation(AxisLocation.TOP_OR_RIGHT);
        legend.setStripWidth(14);
        legend.setMargin(new RectangleInsets(10, 10, 10, 10));
        legend.setBackgroundPaint(Color.WHITE);
        legend.setSubdivisionCount(128);
        chart.addSubtitle(legend);
        return chart;
    }

    /** Writes {@code chart} as a {@code width} x {@code height} PNG, atomically. */
    public static void savePng(JFreeChart chart, Path file, int width, int height) throws IOException {
        if (width < 1 || height < 1) throw new IllegalArgumentException("savePng: image size " + width + " x " + height + " must be positive");
        AtomicFiles.write(file, out -> ChartUtils.writeChartAsPNG(out, chart, width, height));
    }

    /** Viridis colour of {@code v} clipped to [0, 1]; {@link #MISSING} for NaN. */
    public static Color colour(double v) {
        if (Double.isNaN(v)) return MISSING;
        double t = Math.max(0, Math.min(1, v)) * (VIRIDIS.length - 1);
        int i = Math.min((int) t, VIRIDIS.length - 2);
        double f = t - i;
        int a = VIRIDIS[i], b = VIRIDIS[i + 1];
        return new Color(lerp(a >> 16, b >> 16, f), lerp(a >> 8, b >> 8, f), lerp(a, b, f));
    }

    /** Viridis at 0, 1/8, ..., 1. */
    private static final int[] VIRIDIS = {0x440154, 0x46327E, 0x365C8D, 0x277F8E, 0x1FA187, 0x4AC16D, 0x9FDA3A, 0xD8E219, 0xFDE725};

    private static int lerp(int a, int b, double f) {
        a &= 0xFF;
        b &= 0xFF;
        return (int) Math.round(a + (b - a) * f);
    }

    /** {@link #colour} as a JFreeChart paint scale over [0, 1]. */
    private static final class ViridisScale implements PaintScale {
        @Override
        public double getLowerBound() {
            return 0;
        }

        @Override
        public double getUpperBound() {
            return 1;
        }

        @Override
        public Paint getPaint(double value) {
            return colour(value);
        }
    }

    /** Markers of {@code shape} on each series of {@code series} that has at most {@link #MARKERS_UP_TO} points. */
    private static void markers(XYLineAndShapeRenderer renderer, List<Series> series, java.awt.Shape shape) {
        if (series == null) return;
        for (int i = 0; i < series.size(); i++) {
            boolean few = series.get(i).x().length <= MARKERS_UP_TO;
            renderer.setSeriesShapesVisible(i, few);
            renderer.setSeriesShapesFilled(i, few);
            if (few) renderer.setSeriesShape(i, shape);
        }
    }

    /**
     * Gives {@code axis} a readable range when all its finite values are one number (one epoch, or a constant series):
     * JFreeChart would otherwise zoom into a range of 1e-8 around it, with meaningless ticks. The x axis then spans
     * the value ± 1; a y axis ± 2% of it (± 1 around 0). Whole-number x values (epochs, steps) get whole-number ticks.
     */
    private static void fitDegenerate(NumberAxis axis, List<Series> series, boolean x) {
        double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY;
        boolean whole = true;
        for (Series s : series) {
            for (double v : x ? s.x() : s.y()) {
                if (!Double.isFinite(v)) continue;
                min = Math.min(min, v);
                max = Math.max(max, v);
                whole &= v == Math.rint(v);
            }
        }
        if (x && whole && min <= max) axis.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        if (!(min == max)) return;
        double half = x ? 1 : min == 0 ? 1 : 0.02 * Math.abs(min);
        axis.setAutoRange(false);
        axis.setRange(min - half, max + half);
    }

    private static XYSeriesCollection collection(List<Series> series) {
        XYSeriesCollection c = new XYSeriesCollection();
        if (series == null) return c;
        for (Series s : series) {
            XYSeries xy = new XYSeries(s.name(), false, true);
            for (int i = 0; i < s.x().length; i++) xy.add(s.x()[i], s.y()[i]);
            c.addSeries(xy);
        }
        return c;
    }

    private static void style(XYPlot plot) {
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(new Color(0xCC, 0xCC, 0xCC));
        plot.setRangeGridlinePaint(new Color(0xCC, 0xCC, 0xCC));
    }

    private static JFreeChart chart(String title, XYPlot plot, boolean legend) {
        JFreeChart chart = new JFreeChart(title, new Font(Font.SANS_SERIF, Font.BOLD, 16), plot, legend);
        ChartFactory.getChartTheme().apply(chart);
        style(plot);
        chart.setBackgroundPaint(Color.WHITE);
        return chart;
    }
}
