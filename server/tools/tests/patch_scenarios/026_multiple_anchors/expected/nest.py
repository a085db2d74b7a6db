class A:
    def run(self):
        return 0

class B:
    def stop(self):
        return 0

    def run(self):
        return 42
