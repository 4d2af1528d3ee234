/* The generated model's implementation, compiled once, as C (the .ino is C++). */
#define MNIST_IMPLEMENTATION
#include "mnist_model.h"
