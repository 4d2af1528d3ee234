// tinyflash MNIST on an Arduino-class board (any 32-bit core with ~110 KB of flash for the
// 784-128-10 model, e.g. Arduino Nano 33 BLE / Nano RP2040 / Uno R4; an AVR Uno is too small).
//
// 1. tinyflash codegen RUN_DIR --out .   (writes mnist_model.h next to this sketch)
// 2. Open this folder in the Arduino IDE and upload. model.c compiles the implementation as C.
// 3. Send 784 raw bytes (a 28x28 grey image, row-major, 0 = background) over the serial port,
//    e.g. `python -c "import sys; sys.stdout.buffer.write(open('digit.raw','rb').read())" > /dev/ttyACM0`;
//    the sketch answers with the predicted digit and its probability.
#include "mnist_model.h"

static uint8_t pixels[MNIST_INPUT_SIZE];
static size_t received = 0;

void setup() {
  Serial.begin(115200);
  while (!Serial) {
  }
  Serial.println("tinyflash MNIST: send 784 bytes");
}

void loop() {
  while (Serial.available() > 0 && received < MNIST_INPUT_SIZE) {
    pixels[received++] = (uint8_t)Serial.read();
  }
  if (received == MNIST_INPUT_SIZE) {
    const unsigned long start = micros();
    const int digit = mnist_classify(pixels);
    const unsigned long took = micros() - start;
    Serial.print("digit ");
    Serial.print(digit);
    Serial.print(" in ");
    Serial.print(took);
    Serial.println(" us");
    received = 0;
  }
}
