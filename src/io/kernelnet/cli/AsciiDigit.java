package io.kernelnet.cli;

/** A grayscale image in [0, 1] as text, darker characters for brighter pixels. */
final class AsciiDigit {
    private static final String RAMP = " .:-=+*#%@";

    private AsciiDigit() {
    }

    static String render(float[] pixels, int height, int width) {
        StringBuilder sb = new StringBuilder();
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                float v = Math.max(0f, Math.min(1f, pixels[y * width + x]));
                char c = RAMP.charAt(Math.min(RAMP.length() - 1, (int) (v * RAMP.length())));
                sb.append(c).append(c);
            }
            sb.append('\n');
        }
        return sb.toString();
    }
}
