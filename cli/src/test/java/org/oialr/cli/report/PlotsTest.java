package org.oialr.cli.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.GraphicsEnvironment;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.imageio.ImageIO;
import org.jfree.chart.ChartRenderingInfo;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.ui.RectangleEdge;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PlotsTest {
    @TempDir
    Path dir;

    private static int distinctColours(BufferedImage img) {
        Set<Integer> s = new HashSet<>();
        for (int y = 0; y < img.getHeight(); y += 2) {
            for (int x = 0; x < img.getWidth(); x += 2) s.add(img.getRGB(x, y));
        }
        return s.size();
    }

    @Test
    void lineChartWithTwoAxesIsAReadablePng() throws IOException {
        double[] acc = {0.62, 0.78, 0.83, 0.85, 0.86, 0.87, 0.88, 0.885};
        double[] trainable = {100, 100, 100, 41, 33, 27, 25, 24};
        JFreeChart chart = Plots.lineChart("Fashion-MNIST", "epoch", "top-1 accuracy",
                List.of(Plots.Series.of("train top-1", acc), Plots.Series.of("test top-1", new double[] {0.6, 0.75, 0.8, 0.82, 0.83, 0.84, Double.NaN, 0.85})),
                "trainable parameters (%)", List.of(Plots.Series.of("trainable %", trainable)));
        XYPlot plot = chart.getXYPlot();
        assertEquals(2, plot.getRangeAxisCount());
        assertEquals(2, plot.getDataset(0).getSeriesCount());
        assertEquals(1, plot.getDataset(1).getSeriesCount());
        // each axis ranges over its own series: accuracy in [0.6, 0.885], trainable % in [24, 100]
        org.jfree.data.Range leftRange = plot.getRangeAxis(0).getRange(), rightRange = plot.getRangeAxis(1).getRange();
        assertTrue(leftRange.contains(0.6) && leftRange.contains(0.885) && leftRange.getUpperBound() < 1, leftRange.toString());
        assertTrue(rightRange.contains(24) && rightRange.contains(100) && rightRange.getLowerBound() > 15, rightRange.toString());

        Path png = dir.resolve("plots/accuracy.png");
        Plots.savePng(chart, png, 800, 450);
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(800, img.getWidth());
        assertEquals(450, img.getHeight());
        assertTrue(distinctColours(img) > 20, "image looks blank: " + distinctColours(img) + " colours");
        assertTrue(GraphicsEnvironment.isHeadless());
    }

    @Test
    void singleAxisChartWorks() throws IOException {
        Path png = dir.resolve("loss.png");
        Plots.savePng(Plots.lineChart("loss", "step", "loss", List.of(Plots.Series.of("loss", 2.3, 1.2, 0.7)), null, null), png, 300, 200);
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(300, img.getWidth());
        assertTrue(distinctColours(img) > 5);
    }

    @Test
    void heatmapCellsHaveTheScaleColourOfTheirValue() throws IOException {
        List<String> layers = List.of("conv1", "conv2", "fc1", "fc2");
        double[] steps = {100, 200, 300, 400, 500};
        double[][] v = {
            {Double.NaN, 0.10, 0.20, 0.30, 0.40},
            {0.00, 0.25, 0.50, 0.75, 1.00},
            {1.00, 0.90, 0.80, 0.70, 0.60},
            {0.05, 0.95, 0.05, 0.95, 1.70}, // 1.70 is clipped to 1
        };
        JFreeChart chart = Plots.heatmap("Stability", "step", layers, steps, v, "stability");
        ChartRenderingInfo info = new ChartRenderingInfo();
        BufferedImage img = chart.createBufferedImage(900, 400, info);
        Rectangle2D area = info.getPlotInfo().getDataArea();
        XYPlot plot = chart.getXYPlot();
        for (int r = 0; r < layers.size(); r++) {
            for (int c = 0; c < steps.length; c++) {
                int px = (int) Math.round(plot.getDomainAxis().valueToJava2D(steps[c], area, RectangleEdge.BOTTOM));
                int py = (int) Math.round(plot.getRangeAxis().valueToJava2D(r, area, RectangleEdge.LEFT));
                Color want = Plots.colour(v[r][c]);
                assertEquals(want.getRGB(), img.getRGB(px, py), String.format("cell %s step %.0f value %.2f at (%d, %d)",
                        layers.get(r), steps[c], v[r][c], px, py));
            }
        }
        // row 0 is drawn at the top
        assertTrue(plot.getRangeAxis().valueToJava2D(0, area, RectangleEdge.LEFT) < plot.getRangeAxis().valueToJava2D(3, area, RectangleEdge.LEFT));

        Path png = dir.resolve("stability.png");
        Plots.savePng(chart, png, 900, 400);
        BufferedImage back = ImageIO.read(png.toFile());
        assertEquals(900, back.getWidth());
        assertEquals(400, back.getHeight());
        assertTrue(distinctColours(back) > 20);
    }

    @Test
    void colourScaleIsViridis() {
        assertEquals(new Color(0x440154), Plots.colour(0));
        assertEquals(new Color(0x1FA187), Plots.colour(0.5));
        assertEquals(new Color(0xFDE725), Plots.colour(1));
        assertEquals(new Color(0xFDE725), Plots.colour(3));
        assertEquals(new Color(0x440154), Plots.colour(-1));
        assertEquals(Plots.MISSING, Plots.colour(Double.NaN));
        // halfway between the anchors at 0 and 1/8
        assertEquals(new Color((0x44 + 0x46 + 1) / 2, (0x01 + 0x32 + 1) / 2, (0x54 + 0x7E) / 2), Plots.colour(1.0 / 16));
    }

    @Test
    void heatmapRejectsRaggedInput() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Plots.heatmap("s", "step", List.of("a", "b"), new double[] {1, 2}, new double[][] {{0, 1}, {0}}, "x"));
        assertTrue(e.getMessage().contains("row 'b' has 1 values for 2 columns"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Plots.heatmap("s", "step", List.of("a"), new double[] {2, 1}, new double[][] {{0, 1}}, "x"));
        assertTrue(e.getMessage().contains("columns must increase strictly"), e.getMessage());
    }
}
